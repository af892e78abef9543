"""批量导入 — importing people and enterprises from CSV or XLSX files, as jobs."""
