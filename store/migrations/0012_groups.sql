-- Version 12: near-duplicate groups, and substring search in scripts
-- whose words are not separated by spaces or carry attached particles.
--
-- group_id is the group a suggestion belongs to (the id of its group's
-- first suggestion); group_size how many suggestions the group has. Both
-- are 0 until the grouping job has seen the suggestion.
ALTER TABLE suggestions ADD COLUMN group_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE suggestions ADD COLUMN group_size INTEGER NOT NULL DEFAULT 0;
CREATE INDEX suggestions_group ON suggestions (group_id, id);
CREATE INDEX suggestions_group_time ON suggestions (group_id, received_at);
-- The staff list filters by channel and language, newest first; with a
-- broad search this index is read and each entry checked against the
-- search's matches (store/search.go).
CREATE INDEX suggestions_facets ON suggestions (channel, language, disposition, received_at);

-- unicode61 finds whole words only, and in Chinese, Japanese, Thai, Lao,
-- Khmer, Burmese and Tibetan a "word" of it is a whole run of text; in
-- Arabic and Hebrew, articles and prepositions are written onto the word.
-- A trigram index finds any substring of three characters or more. It
-- holds only the suggestions with characters of those scripts (the GLOB
-- below), so text in other scripts costs nothing more on disk. It is
-- contentless: it answers which rows match, the text stays in
-- suggestions.
CREATE VIRTUAL TABLE suggestions_trgm USING fts5 (
    subject, body,
    content = '', contentless_delete = 1,
    tokenize = 'trigram remove_diacritics 1'
);
INSERT INTO suggestions_trgm (rowid, subject, body)
    SELECT id, subject, body FROM suggestions
    WHERE subject || body GLOB '*[֐-ࣿ฀-႟ᄀ-ᇿក-៿᧠-᧿⺀-鿿ꥠ-꥿ꧠ-꧿ꩠ-ꩿ가-퟿豈-﫿יִ-﷿ﹰ-﻿ｦ-￟𐹠-𐹿𐻀-𐻿𖿠-𖿿𚿰-𛅯𞸀-𞻿🈀-🋿𠀀-𳿿]*';
CREATE TRIGGER suggestions_trgm_ai AFTER INSERT ON suggestions
    WHEN new.subject || new.body GLOB '*[֐-ࣿ฀-႟ᄀ-ᇿក-៿᧠-᧿⺀-鿿ꥠ-꥿ꧠ-꧿ꩠ-ꩿ가-퟿豈-﫿יִ-﷿ﹰ-﻿ｦ-￟𐹠-𐹿𐻀-𐻿𖿠-𖿿𚿰-𛅯𞸀-𞻿🈀-🋿𠀀-𳿿]*'
BEGIN
    INSERT INTO suggestions_trgm (rowid, subject, body) VALUES (new.id, new.subject, new.body);
END;
CREATE TRIGGER suggestions_trgm_ad AFTER DELETE ON suggestions BEGIN
    DELETE FROM suggestions_trgm WHERE rowid = old.id;
END;
CREATE TRIGGER suggestions_trgm_au AFTER UPDATE OF subject, body ON suggestions BEGIN
    DELETE FROM suggestions_trgm WHERE rowid = old.id;
    INSERT INTO suggestions_trgm (rowid, subject, body) SELECT new.id, new.subject, new.body
        WHERE new.subject || new.body GLOB '*[֐-ࣿ฀-႟ᄀ-ᇿក-៿᧠-᧿⺀-鿿ꥠ-꥿ꧠ-꧿ꩠ-ꩿ가-퟿豈-﫿יִ-﷿ﹰ-﻿ｦ-￟𐹠-𐹿𐻀-𐻿𖿠-𖿿𚿰-𛅯𞸀-𞻿🈀-🋿𠀀-𳿿]*';
END;
