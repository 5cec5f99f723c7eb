"""Connection coverage (keterhubungan): which units should be connected, and how many are."""
