-- What makes a mailbox "burnt" (a reply rate under 0.4% after at least 200 sends) and how long
-- mailbox snapshots are kept, as settings the provider performance calculation reads every run.
insert into private.settings (key, value, description) values
  ('burnt_reply_rate_threshold', '0.004',
   'A mailbox whose lifetime unique replies / emails sent is below this fraction (a number from '
   '0 to 1; 0.004 = 0.4%) is burnt, once it has sent burnt_min_emails_sent.'),
  ('burnt_min_emails_sent', '200',
   'Lifetime emails a mailbox must have sent before it can be counted as burnt (a whole number).'),
  ('sender_email_snapshot_retention', '"180 days"',
   'How long daily mailbox snapshots are kept (an interval of at least 31 days: the 30-day '
   'window of a recomputed day needs the snapshot 30 days before it).')
on conflict (key) do nothing;
