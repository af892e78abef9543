"""登记 — the per-district register of people (人员) and enterprises (企业) that every program pays.

``identifiers`` validates and normalises document numbers (居民身份证, 港澳台居民居住证, 回乡证,
香港身份证, 澳门身份证, passports), unified social credit codes (统一社会信用代码), mobile numbers
and bank accounts; ``masking`` hides personal numbers for display (脱敏).
"""
