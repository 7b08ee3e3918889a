-- An agent's open tickets in SLA-urgency order (GET /me/tickets, the agent dashboard): a walk
-- of this small partial index instead of sorting after the assignee lookup, which also visits
-- the agent's long history of solved tickets in tickets_assignee_idx.
CREATE INDEX tickets_my_open_idx ON tickets (assignee_id, sla_due_at)
    WHERE assignee_id IS NOT NULL AND status IN ('new', 'open', 'pending');
