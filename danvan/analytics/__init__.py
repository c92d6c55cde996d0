"""Public opinion in aggregate: analysis results, rollups, emerging issues and reports."""
