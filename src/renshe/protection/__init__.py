"""Personal-data protection (个人信息保护): field encryption with key ids, blind indexes."""
