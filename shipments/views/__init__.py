"""UI views for suppliers, orders, shipments, licences and the dashboard (docs/architecture.md#ui)."""
