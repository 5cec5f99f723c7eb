"""The SLA: working-day calendars and holidays, stage clocks, deadlines, compliance, zones, annual report."""
