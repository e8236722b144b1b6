package domain

// Personal data in events is marked, not handled, here: the domain stays
// free of keys and crypto. A string or []string field of an event (or of a
// struct inside one) that holds personal information carries the struct
// tag `pii`, which the application layer reads to seal the field before
// the event is stored and to open it when it is read (package privacy,
// docs/privacy.md):
//
//	pii:"<kind>[,person=<Path>]...[,if=<Path>:<value>][,item]"
//
// kind is name (a person's name; erased, it reads as the erased resident),
// text (free text a person wrote), door (a door or unit number) or photo (a
// reference to a photo that may show a person or a door). Each
// person=<Path> names the field, relative to the struct holding the tagged
// field, with the id of a person the data belongs to (a path may pass
// through nested structs and slices, and collect several ids); if=<Path>:<value>
// makes the field personal only when that field has that value (a Party's
// name is personal only when it is a person); item seals it under the key
// of the event's stream too, so that a retention rule can erase the item's
// text without erasing its author. The field is readable only while every
// one of its keys exists: erasing any one of its persons, or its item,
// erases it.
//
// Ids (person_id, voter_id, ...) are never sealed: they are pseudonyms
// that keep counts, tallies and links right after an erasure.
