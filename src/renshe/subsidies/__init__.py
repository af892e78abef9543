"""补贴 (subsidies): programs, applications, public notice (公示) and awards."""
