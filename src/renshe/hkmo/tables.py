"""Hong Kong and Macao youth tables for Piccolo (the schema is ``db/migrations/0019_hkmo_youth.sql``).

Tenant tables: the database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Changes go through :mod:`renshe.hkmo.youth`.
"""

from piccolo.columns import UUID, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class HkmoYouth(Table, tablename="hkmo_youth"):
    """港澳青年: a registered person with a Hong Kong or Macao document, tracked by the district."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    person_id = UUID()
    school = Text(null=True, default=None)
    graduated_on = Date(null=True, default=None)
    status = Text()  # studying | employed | self_employed | founder | left
    enterprise_id = UUID(null=True, default=None)
    incubation_base = Text(null=True, default=None)
    reached_via = Text()
    registered_on = Date()
    age_at_registration = Integer()
    consent_given_at = Timestamptz()
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class HkmoYouthEvent(Table, tablename="hkmo_youth_events"):
    """One line of a youth's history: registration, a change of status, the withdrawal of consent."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    youth_id = UUID()
    kind = Text()
    from_status = Text(null=True, default=None)
    to_status = Text(null=True, default=None)
    comment = Text(null=True, default=None)
    actor_user_id = UUID(null=True, default=None)
    at = Timestamptz()
