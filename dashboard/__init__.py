"""scResponse dashboard: Dash app over precomputed engine results. Imports the engine, never the reverse."""
