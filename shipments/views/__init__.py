"""UI views for suppliers, orders, shipments, licences and the dashboard (DESIGN §8)."""
