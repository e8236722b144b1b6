package domain

import (
	"time"
)

// Uploads: the ledger records every photo or document upload on a stream of
// its own, "attachment-<uploadID>": the hash of the stored file (the
// upload without its metadata: the reference commands use) and the hash of
// the bytes as uploaded, so that whoever kept the original (a photo with
// its EXIF, as evidence) can show that the stored photo came from it. Both
// hashes are sealed under the uploader's key (a hash confirms a photo to
// whoever holds it): erasing the uploader erases the record's link to the
// photo. An upload record is not a reference: it keeps no photo alive.

// AttachmentStreamPrefix starts the stream of every upload record.
const AttachmentStreamPrefix = "attachment-"

// RecordUpload records one upload.
type RecordUpload struct {
	// UploadID names the upload (a UUID): its stream.
	UploadID string `json:"upload_id"`
	// SHA256 is the stored file's hash, OriginalSHA256 the uploaded
	// bytes' (lowercase hex); they are equal when nothing was stripped.
	SHA256         string `json:"sha256"`
	OriginalSHA256 string `json:"original_sha256"`
	ContentType    string `json:"content_type"`
	Size           int64  `json:"size"`
	// UploaderID is who uploaded it (a token's subject).
	UploaderID string `json:"uploader_id"`
}

// Stream implements Command.
func (c RecordUpload) Stream() string { return AttachmentStreamPrefix + c.UploadID }

// AttachmentUploaded records an upload: the stored file's hash and the
// original's.
type AttachmentUploaded struct {
	UploadID       string    `json:"upload_id"`
	SHA256         string    `json:"sha256" pii:"photo,person=UploaderID"`
	OriginalSHA256 string    `json:"original_sha256" pii:"photo,person=UploaderID"`
	ContentType    string    `json:"content_type"`
	Size           int64     `json:"size"`
	UploaderID     string    `json:"uploader_id"`
	At             time.Time `json:"at"`
}

// EventType implements Event.
func (AttachmentUploaded) EventType() string { return "attachment.uploaded.v1" }

// UploadState is an upload stream folded.
type UploadState struct {
	Recorded bool
}

func (s *UploadState) evolve(e Event) {
	if _, ok := e.(AttachmentUploaded); ok {
		s.Recorded = true
	}
}

// FoldUpload folds an upload stream.
func FoldUpload(events []Event) UploadState { return foldEvents[UploadState](events) }

// maxAttachmentSize bounds a recorded upload's size (the HTTP door allows
// less).
const maxAttachmentSize = 64 << 20

func decideUpload(s UploadState, cmd Command, now time.Time) ([]Event, error) {
	c, ok := cmd.(RecordUpload)
	if !ok {
		return nil, unknownCommand(cmd)
	}
	var size *Error
	if c.Size <= 0 || c.Size > maxAttachmentSize {
		size = invalid("size", "bad_size", "the size must be between 1 byte and 64 MiB", "大小应在 1 字节到 64 MiB 之间")
	}
	if err := firstError(
		id("upload_id", c.UploadID),
		photos("sha256", []string{c.SHA256}),
		photos("original_sha256", []string{c.OriginalSHA256}),
		oneOf("content_type", c.ContentType, "image/jpeg", "image/png", "image/webp", "image/gif"),
		size,
		id("uploader_id", c.UploaderID),
	); err != nil {
		return nil, err
	}
	if s.Recorded {
		return nil, nil
	}
	return []Event{AttachmentUploaded{UploadID: c.UploadID, SHA256: c.SHA256, OriginalSHA256: c.OriginalSHA256, ContentType: c.ContentType,
		Size: c.Size, UploaderID: c.UploaderID, At: now}}, nil
}
