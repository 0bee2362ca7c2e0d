-- A bounce names the message that bounced; this index finds whom it went to. (Until
-- this migration `bounces import` made it when it ran: hence IF NOT EXISTS.)
CREATE INDEX IF NOT EXISTS bounces_recipients_message_id ON recipients (message_id);
