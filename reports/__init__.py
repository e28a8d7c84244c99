"""Self-contained HTML reports: the readiness report per enterprise and the portfolio page."""
