"""Registry tables for Piccolo (the schema itself is ``db/migrations/0004_registry.sql``).

Each tenant table's database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Columns ending ``_enc`` hold ciphertext, ``_index`` blind indexes, ``_masked`` display forms.
"""

from piccolo.columns import UUID, Bytea, Date, Integer, SmallInt, Text, Timestamptz
from piccolo.table import Table


class Person(Table, tablename="persons"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    name = Text()
    sex = Text(null=True)
    birth_date = Date(null=True)
    residency = Text()
    mobile_enc = Text(null=True)
    mobile_index = Bytea(null=True)
    mobile_masked = Text(null=True)
    education = Text(null=True)
    graduated_on = Date(null=True)
    school = Text(null=True)
    bank_account_enc = Text(null=True)
    bank_account_index = Bytea(null=True)
    bank_account_masked = Text(null=True)
    bank_account_name = Text(null=True)
    bank_name = Text(null=True)
    bank_branch_code = Text(null=True)
    address = Text(null=True)
    notes = Text(null=True)
    version = Integer(default=1)
    created_by = UUID(null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PersonDocument(Table, tablename="person_documents"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    person_id = UUID()
    doc_type = Text()
    number_enc = Text()
    number_index = Bytea()
    number_masked = Text()
    renewal_count = SmallInt(null=True)
    position = SmallInt(default=0)
    created_at = Timestamptz()


class Enterprise(Table, tablename="enterprises"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    name = Text()
    uscc = Text()
    legal_representative = Text()
    registered_on = Date(null=True)
    registered_district = Text(null=True)
    bank_account_enc = Text(null=True)
    bank_account_index = Bytea(null=True)
    bank_account_masked = Text(null=True)
    bank_account_name = Text(null=True)
    bank_name = Text(null=True)
    bank_branch_code = Text(null=True)
    address = Text(null=True)
    notes = Text(null=True)
    version = Integer(default=1)
    created_by = UUID(null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PersonEnterpriseLink(Table, tablename="person_enterprise_links"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    person_id = UUID()
    enterprise_id = UUID()
    role = Text()
    since = Date(null=True)
    until = Date(null=True)
    created_by = UUID(null=True)
    created_at = Timestamptz()


class ProgramReceipt(Table, tablename="program_receipts"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    program_code = Text()
    document_index = Bytea()
    person_id = UUID(null=True)
    award_ref = Text()
    received_on = Date()
    created_at = Timestamptz()
