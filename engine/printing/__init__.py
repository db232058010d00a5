"""Pages laid out in mm without Qt: DM labels with the customer barcode, insert lists and target lists."""
