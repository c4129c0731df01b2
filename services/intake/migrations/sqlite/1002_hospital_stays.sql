-- The hospital's reports of admitting and discharging a person brought by an acute illness.
ALTER TABLE encounters ADD COLUMN hospital_admitted_at TEXT;
ALTER TABLE encounters ADD COLUMN hospital_discharged_at TEXT;
