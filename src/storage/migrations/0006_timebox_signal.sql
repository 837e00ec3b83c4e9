-- A phase's timebox is a durable timer; when it fires it leaves a 'timebox' signal on the phase,
-- which the phase coordinator honours like pause and cancel, failing the phase with the reason.
alter table phases drop constraint phases_signal_check;
alter table phases add constraint phases_signal_check check (signal in ('pause', 'cancel', 'retry', 'timebox'));
