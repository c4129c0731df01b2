-- Who split a wrong repeat-vagrancy link and why (SplitRepeatLink). The link keeps its row with
-- `split_at` set (migration 1010), so that the pair is never linked again automatically; these
-- columns are set together with it. The reason is staff's free text: never in events or logs.
ALTER TABLE case_links ADD COLUMN split_reason TEXT;
ALTER TABLE case_links ADD COLUMN split_by_kind TEXT;
ALTER TABLE case_links ADD COLUMN split_by_division TEXT;
ALTER TABLE case_links ADD COLUMN split_by_unit TEXT;
