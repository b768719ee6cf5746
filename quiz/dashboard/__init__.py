"""The dashboard (工作台) after login: today's participation, open and upcoming contests with
their counts, live rounds under way, and shortcuts."""
