"""The MCP server (``ENABLE_MCP_SERVER``): Jorge's own AI assistant reads his business through
read-only tools (tools.py), over streamable HTTP at /mcp/ (http.py) or stdio
(``manage.py mcp_server``). docs/feature-flags.md, "ENABLE_MCP_SERVER"."""
