-- A multi-row insert of messages assigns its streams up front; the counter
-- must end at the highest of them whatever order the rows' triggers run in.
DROP TRIGGER events_insert_advances_stream;

CREATE TRIGGER events_insert_advances_stream AFTER INSERT ON events
BEGIN
    UPDATE stream_position SET position = MAX(position, NEW.stream) WHERE id = 1;
END;
