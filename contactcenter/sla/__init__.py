"""The SLA engine: business calendars, policies and the clocks computed from ticket facts."""
