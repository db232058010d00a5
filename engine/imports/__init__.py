"""From an export file to orders and customers: reading, format presets, normalisation, identity (名寄せ) and the import service."""
