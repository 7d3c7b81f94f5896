"""The leads API (REST v1): contacts, conversations and their messages, deals, escalation
tickets, lead analysis, and the actions staff take on a conversation. One module per resource;
every view calls a selector (reads) or a service (writes)."""
