-- Notifications to units, tracked to acknowledgement; an unacknowledged one escalates once.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    recipient_kind TEXT NOT NULL,
    recipient_division TEXT NOT NULL,
    recipient_unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    division TEXT NOT NULL,
    summary TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    acknowledge_by TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    escalated_at TIMESTAMPTZ,
    escalate_to TEXT NOT NULL,
    escalation_of TEXT
);

CREATE INDEX notifications_recipient ON notifications (recipient_kind, recipient_unit, issued_at);
