"""Workforce coverage as pure functions: Erlang C staffing per interval and the gap heatmap."""
