"""Storage: the only place that speaks SQL. Tables, migrations, and the registry built on them."""
