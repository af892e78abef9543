-- 0016 talent-card tiers are programs (family talent_card): dated versions, facts, eligibility and
-- district overrides like the subsidies, with a card table instead of an amount
-- (renshe/subsidies/programs/card_terms.py, docs/talent-cards.md).
ALTER TABLE programs DROP CONSTRAINT programs_family_check;
ALTER TABLE programs ADD CONSTRAINT programs_family_check
  CHECK (family IN ('employment', 'hkmo', 'talent_card'));
