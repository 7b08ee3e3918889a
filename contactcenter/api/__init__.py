"""HTTP surface: the route table (routes.py), middleware, and one module per resource."""
