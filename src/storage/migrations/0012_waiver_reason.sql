-- Why a waiver was granted, in the words of the person who granted it (`ideamine waive --reason`).
-- The compensating control stays its own column; older waivers have no reason.
alter table waivers add column reason text;
