package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	nethttp "net/http"
	"regexp"
	"slices"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// maxAttachment bounds an uploaded photo.
const maxAttachment = 8 << 20

// attachmentTypes are the media types accepted for upload: photos only.
var attachmentTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true, "image/gif": true}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Attachment describes a stored file. Commands refer to it by SHA256.
type Attachment struct {
	// SHA256 is the hash of the stored file (the photo without its
	// metadata): the reference commands and events use, and the address
	// it is served at.
	SHA256 string `json:"sha256"`
	// OriginalSHA256 is the hash of the bytes as uploaded, metadata
	// included, for whoever kept the original as evidence; the service
	// does not keep those bytes, but records the hash with the upload
	// (attachment.uploaded.v1).
	OriginalSHA256 string `json:"original_sha256"`
	ContentType    string `json:"content_type"`
	Size           int64  `json:"size"`
	// URL is where the file is served; anyone but an unscoped admin or
	// auditor appends ?item= and the stream of a record referring to it.
	URL string `json:"url"`
	// UploadID names the upload's record in the ledger (stream
	// attachment-<upload_id>), which keeps both hashes.
	UploadID string `json:"upload_id"`
}

// postAttachment stores the request body (a photo, sent raw with its media
// type) under the SHA-256 of its bytes once its metadata is stripped, and
// records the upload. The declared type must be an accepted image type and
// agree with the bytes themselves. Storing the same photo twice is
// harmless: the address is the content.
func (s *Server) postAttachment(c echo.Context) error {
	req := c.Request()
	if req.ContentLength > maxAttachment {
		return tooLargeAttachment()
	}
	p := principalOf(c)
	a, err := s.storeAttachment(req.Context(), req.Body, req.Header.Get(echo.HeaderContentType),
		ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)})
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, a)
}

// demoUploader is the uploader SaveAttachment records.
var demoUploader = ledger.Actor{ID: "demo", Role: "admin"}

// SaveAttachment stores a photo as an upload would and returns its
// reference (the SHA-256 of its bytes, lowercase hex); the demo data
// loader uses it.
func (s *Server) SaveAttachment(data []byte, contentType string) (string, error) {
	a, err := s.storeAttachment(context.Background(), bytes.NewReader(data), contentType, demoUploader)
	if err != nil {
		return "", fmt.Errorf("save attachment: %w", err)
	}
	return a.SHA256, nil
}

// storeAttachment checks one file, strips its metadata, stores it
// (encrypted, durable: privacy.Blobs.Put) and then records the upload
// (domain.AttachmentUploaded, with the original's hash), so that the file
// is durable before any event can refer to it. On a full disk it answers
// 507, never a refusal that blames the client.
func (s *Server) storeAttachment(ctx context.Context, body io.Reader, contentType string, by ledger.Actor) (Attachment, error) {
	declared, _, err := mime.ParseMediaType(contentType)
	if err != nil || !attachmentTypes[declared] {
		return Attachment{}, refuse(kindUnsupportedMedia, text{"只接受 JPEG、PNG、WebP 或 GIF 图片", "only JPEG, PNG, WebP or GIF images are accepted"})
	}
	if err := s.refuseWhenDiskFull(); err != nil {
		return Attachment{}, err
	}
	original, err := io.ReadAll(io.LimitReader(body, maxAttachment+1))
	if err != nil {
		return Attachment{}, refuse(kindBadRequest, text{"读取上传内容失败", "the upload could not be read"})
	}
	if len(original) > maxAttachment {
		return Attachment{}, tooLargeAttachment()
	}
	if len(original) == 0 {
		return Attachment{}, refuse(kindValidation, text{"上传内容为空", "the upload is empty"})
	}
	if sniffed := nethttp.DetectContentType(original); sniffed != declared {
		return Attachment{}, refuse(kindUnsupportedMedia, text{"文件内容与声明的类型 " + declared + " 不符", "the bytes are not the declared " + declared})
	}
	stored, err := stripMetadata(declared, original)
	if err != nil {
		return Attachment{}, refuse(kindUnsupportedMedia, text{"图片文件已损坏，无法读取", "the image is malformed"})
	}
	originalSum := sha256.Sum256(original)
	storedSum := sha256.Sum256(stored)
	sum := hex.EncodeToString(storedSum[:])
	if err := s.photos.Put(ctx, sum, stored); err != nil {
		return Attachment{}, diskErr("store attachment", err)
	}
	a := Attachment{SHA256: sum, OriginalSHA256: hex.EncodeToString(originalSum[:]), ContentType: declared,
		Size: int64(len(stored)), URL: "/v1/attachments/" + sum, UploadID: uuid.Must(uuid.NewV7()).String()}
	cmd := domain.RecordUpload{UploadID: a.UploadID, SHA256: a.SHA256, OriginalSHA256: a.OriginalSHA256,
		ContentType: a.ContentType, Size: a.Size, UploaderID: by.ID}
	if _, err := s.cfg.Ledger.Execute(ctx, cmd, by, ledger.Options{}); err != nil {
		return Attachment{}, fmt.Errorf("record upload: %w", err)
	}
	return a, nil
}

// diskErr wraps a failed store operation; a full disk (or quota) becomes
// eventstore.ErrDiskFull, answered 507.
func diskErr(op string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%s: %w (%w)", op, eventstore.ErrDiskFull, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func tooLargeAttachment() error {
	return refuse(kindTooLarge, text{fmt.Sprintf("图片不能超过 %d MiB", maxAttachment>>20), fmt.Sprintf("a photo may not exceed %d MiB", maxAttachment>>20)})
}

// attachmentItem matches the item a photo is asked for with:
// proposal-<uuid>, action-<uuid>, meeting-<uuid> or wish-<uuid>.
var attachmentItem = regexp.MustCompile(`^(proposal|action|meeting|wish)-(.+)$`)

// getAttachment serves a stored file with the media type its bytes have,
// to whoever may read the item (?item=proposal-<uuid>, action-<uuid>,
// meeting-<uuid> or wish-<uuid>) whose events refer to it, as policy.Reader.SeesAttachment
// says. The item is loaded through the ledger, sealed fields opened: a
// reference whose key was erased no longer names the file, which is then
// served to no one through that item. Without an item only an unscoped
// admin or auditor reads a file. Content-addressed files never change, so
// a browser may keep them, but no shared cache may.
func (s *Server) getAttachment(c echo.Context) error {
	sum := c.Param("sha256")
	if !sha256Pattern.MatchString(sum) {
		return fieldErr(kindBadRequest, "sha256", text{"应为 64 位小写十六进制 SHA-256", "want a SHA-256 as 64 lowercase hex digits"})
	}
	if err := s.mayReadAttachment(c, sum); err != nil {
		return err
	}
	b, err := s.photos.Get(c.Request().Context(), sum)
	if errors.Is(err, blob.ErrNotFound) || errors.Is(err, privacy.ErrErased) {
		return refuse(kindNotFound, text{"没有这个附件", "no such attachment"})
	}
	if err != nil {
		return fmt.Errorf("read attachment: %w", err)
	}
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, nethttp.DetectContentType(b))
	// private: a photo may show a resident's home; shared caches (proxies,
	// CDNs) must not keep it. The bytes never change, so the browser may.
	hdr.Set("Cache-Control", "private, max-age=31536000, immutable")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set(headerETag, `"`+sum+`"`)
	nethttp.ServeContent(c.Response(), c.Request(), "", time.Time{}, bytes.NewReader(b))
	return nil
}

// mayReadAttachment refuses the request unless its reader may read the
// attachment sum through the item it names.
func (s *Server) mayReadAttachment(c echo.Context, sum string) error {
	r := readerOf(c)
	item := c.QueryParam("item")
	if item == "" {
		if r.SeesAttachment("", "", "") {
			return nil
		}
		return fieldErr(kindBadRequest, "item", text{"应指明附件所属的议题、行动或会议（proposal-、action- 或 meeting- 加 UUID）",
			"name the proposal, action or meeting the attachment belongs to (proposal-, action- or meeting- and a UUID)"})
	}
	m := attachmentItem.FindStringSubmatch(item)
	if m == nil {
		return fieldErr(kindBadRequest, "item", text{"应为 proposal-、action-、meeting- 或 wish- 加 UUID", "want proposal-, action-, meeting- or wish- and a UUID"})
	}
	id, err := parseID("item", m[2])
	if err != nil {
		return err
	}
	kind := m[1]
	a, err := s.loadAggregate(c.Request().Context(), kind+"-"+id.String())
	var re *requestError
	if errors.As(err, &re) && re.kind == kindNotFound {
		return fieldErr(kindNotFound, "item", text{"没有这条记录", "no such record"})
	}
	if err != nil {
		return err
	}
	if !r.SeesAttachment(kind, a.community, a.grid) {
		if !r.Authenticated {
			return refuse(kindUnauthorized, text{"读取此附件需要有效的访问令牌", "reading this attachment needs a valid access token"})
		}
		return refuse(kindForbidden, text{"令牌的范围不包括此附件所属的记录", "the token's scope does not cover the record this attachment belongs to"})
	}
	for _, ev := range a.events {
		if slices.Contains(privacy.Attachments(ev), sum) {
			return nil
		}
	}
	return fieldErr(kindNotFound, "item", text{"这条记录没有这个附件", "the record has no such attachment"})
}
