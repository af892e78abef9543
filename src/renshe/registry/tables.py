"""Registry tables for Piccolo (the schema itself is ``db/migrations/0004_registry.sql`` and later).

Each tenant table's database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Columns ending ``_enc`` hold ciphertext, ``_index`` blind indexes, ``_masked`` display forms.
"""

from piccolo.columns import JSONB, UUID, Boolean, Bytea, Date, Integer, SmallInt, Text, Timestamptz
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


class ProgramClaim(Table, tablename="program_claims"):
    """A city-wide claim on a once-only program by a document's blind index
    (``db/migrations/0009_citywide_claims.sql``)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    program_code = Text()
    document_index = Bytea()
    application_id = UUID()
    exclusive = Boolean()
    claimed_on = Date()
    created_at = Timestamptz()


class ImportBatch(Table, tablename="import_batches"):
    """An uploaded people or enterprises file and its validation and import
    (``db/migrations/0005_registry_imports.sql``)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    number = Text()  # DR…, set by the database (0014)
    kind = Text()
    filename = Text()
    file_format = Text()
    file_size = Integer()
    file_sha256 = Bytea()
    file_enc = Text(null=True)
    status = Text(default="uploaded")
    row_count = Integer(default=0)
    error_count = Integer(default=0)
    duplicate_count = Integer(default=0)
    imported_count = Integer(default=0)
    report = JSONB(null=True)
    validate_job_id = UUID(null=True)
    import_job_id = UUID(null=True)
    created_by = UUID(null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
