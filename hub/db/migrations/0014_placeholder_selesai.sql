-- Placeholder on branch selesai only: number 0014 belongs to another part of issue 16 (the lead drops this file).
SELECT 1;
