"""Server-rendered pages (Jinja2 + htmx + ECharts, assets served locally), zh_CN and en."""
