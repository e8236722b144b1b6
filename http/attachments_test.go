package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// jpegWithGPS builds a small real JPEG and adds what a phone adds: an EXIF
// block with an orientation and a GPS position, an XMP block and a comment.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	// IFD0: orientation 6 and a GPS IFD pointer; the GPS IFD: latitude ref "N".
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0,
		2, 0,
		0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,
		0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0,
		0, 0, 0, 0,
		1, 0,
		1, 0, 2, 0, 2, 0, 0, 0, 'N', 0, 0, 0,
		0, 0, 0, 0}
	seg := func(marker byte, payload []byte) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	var out []byte
	out = append(out, plain[:2]...)
	out = append(out, seg(0xE1, append([]byte("Exif\x00\x00"), tiff...))...)
	out = append(out, seg(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSLatitude 39.9</x:xmpmeta>"))...)
	out = append(out, seg(0xFE, []byte("shot at 3号楼2单元1502"))...)
	return append(out, plain[2:]...)
}

// TestPhotoMetadataStripped uploads a JPEG carrying EXIF (with a GPS
// position), XMP and a comment: the stored photo has none of it but its
// orientation, still decodes to the same pixels, is addressed by the hash
// of what is stored, and the answer also gives the original's hash.
func TestPhotoMetadataStripped(t *testing.T) {
	e := mustServe(t)
	tok := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	original := jpegWithGPS(t)
	var a Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: tok, body: original, header: map[string]string{"Content-Type": "image/jpeg"}}).want(t, 201).decode(t, &a)
	origSum := sha256.Sum256(original)
	if a.OriginalSHA256 != hex.EncodeToString(origSum[:]) {
		t.Errorf("original_sha256 %s, want the uploaded bytes' hash", a.OriginalSHA256)
	}
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	got := e.do(req{method: "GET", path: "/v1/attachments/" + a.SHA256, token: auditor}).want(t, 200)
	storedSum := sha256.Sum256(got.body)
	if a.SHA256 != hex.EncodeToString(storedSum[:]) || a.SHA256 == a.OriginalSHA256 {
		t.Errorf("sha256 %s is not the stored bytes' hash", a.SHA256)
	}
	for _, leak := range []string{"GPS", "xmpmeta", "3号楼", "\x25\x88"} {
		if bytes.Contains(got.body, []byte(leak)) {
			t.Errorf("the stored photo still holds %q", leak)
		}
	}
	if o := orientationOf(got.body); o != 6 {
		t.Errorf("orientation %d, want 6 kept", o)
	}
	want, err := jpeg.Decode(bytes.NewReader(original))
	if err != nil {
		t.Fatal(err)
	}
	have, err := jpeg.Decode(bytes.NewReader(got.body))
	if err != nil {
		t.Fatalf("the stored photo does not decode: %v", err)
	}
	if !bytes.Equal(want.(*image.YCbCr).Y, have.(*image.YCbCr).Y) {
		t.Error("the pixels changed")
	}
	if cc := got.header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("Cache-Control %q, want private", cc)
	}
	// Truncated bytes are refused, not stored.
	e.do(req{method: "POST", path: "/v1/attachments", token: tok, body: original[:40], header: map[string]string{"Content-Type": "image/jpeg"}}).wantProblem(t, 415, "unsupported-media-type")
}

// orientationOf reads the orientation of a JPEG's first EXIF block.
func orientationOf(b []byte) uint16 {
	for i := 2; i+4 < len(b) && b[i] == 0xFF; {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xE1 {
			return exifOrientation(b[i+4 : i+2+n])
		}
		i += 2 + n
	}
	return 0
}

// TestPNGMetadataStripped drops a PNG's text and EXIF chunks.
func TestPNGMetadataStripped(t *testing.T) {
	chunk := func(typ string, data []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(c, typ...)
		c = append(c, data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	in := append([]byte{}, pngBytes[:33]...) // signature and IHDR
	in = append(in, chunk("tEXt", []byte("GPS\x0039.9,116.4"))...)
	in = append(in, chunk("eXIf", []byte("MM\x00\x2a"))...)
	in = append(in, pngBytes[33:]...)
	out, err := stripPNG(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, pngBytes) {
		t.Fatalf("stripped PNG differs from the plain one:\n%q\n%q", out, pngBytes)
	}
}

// TestAttachmentReadPolicy: a photo is served only through an item whose
// events refer to it, to whoever may read that item; a photo whose
// reference was erased is no longer served through its item.
func TestAttachmentReadPolicy(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	outsider := e.tokenNamed(auth.RoleResident, auth.Scope{Community: "hengyuan", Grid: "g2"}, "r9", "赵六")
	upload := func(body []byte, ct string) Attachment {
		var a Attachment
		e.do(req{method: "POST", path: "/v1/attachments", token: c.r1, body: body, header: map[string]string{"Content-Type": ct}}).want(t, 201).decode(t, &a)
		return a
	}
	png, jpg := upload(pngBytes, "image/png"), upload(jpegWithGPS(t), "image/jpeg")
	submit := func(tok, title, photo string) string {
		return e.write(t, tok, "/v1/proposals", map[string]any{
			"community_id": "hengyuan", "grid_id": "g1", "title": title, "text": "见照片", "category": "环境",
			"place": "3号院", "photos": []string{photo}, "channel": "photo_report",
		}, 201).ID
	}
	p1 := submit(c.r1, "车棚杂物", jpg.SHA256)
	p2 := submit(c.r2, "路灯不亮", png.SHA256)
	mid := e.write(t, c.facilitator, "/v1/meetings", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "楼院议事", "place": "3号院", "starts_at": soon(24 * time.Hour), "format": "courtyard",
	}, 201).ID
	e.write(t, c.facilitator, "/v1/meetings/"+mid+"/open", nil, 200)
	e.write(t, c.facilitator, "/v1/meetings/"+mid+"/adjourn", nil, 200)
	e.write(t, c.facilitator, "/v1/meetings/"+mid+"/minutes", map[string]string{"summary": "纪要", "document": png.SHA256, "objection_until": soon(7 * 24 * time.Hour)}, 200)

	get := func(sum, item, tok string) response {
		path := "/v1/attachments/" + sum
		if item != "" {
			path += "?item=" + item
		}
		return e.do(req{method: "GET", path: path, token: tok})
	}
	served := func(r response, want []byte) {
		t.Helper()
		r.want(t, 200)
		if !bytes.Equal(r.body, want) {
			t.Fatalf("served %d bytes, not the stored photo", len(r.body))
		}
	}
	namesItem := func(r response, status int, slug string) {
		t.Helper()
		r.wantProblem(t, status, slug)
		if !bytes.Contains(r.body, []byte(`"item"`)) {
			t.Fatalf("the refusal does not name item: %s", r.body)
		}
	}

	// Without an item: refused to all but unscoped admins and auditors.
	namesItem(get(png.SHA256, "", ""), 400, "bad-request")
	namesItem(get(png.SHA256, "", c.r1), 400, "bad-request")
	namesItem(get(png.SHA256, "", c.admin), 400, "bad-request")
	served(get(png.SHA256, "", c.auditor), pngBytes)
	served(get(png.SHA256, "", root), pngBytes)
	// A proposal's photos are public, as its story is.
	served(get(png.SHA256, "proposal-"+p2, ""), pngBytes)
	// The wrong item, an unknown one, a malformed one.
	namesItem(get(png.SHA256, "proposal-"+p1, ""), 404, "not-found")
	namesItem(get(png.SHA256, "proposal-"+p1, c.auditor), 404, "not-found")
	namesItem(get(png.SHA256, "action-"+p2, ""), 404, "not-found")
	namesItem(get(png.SHA256, "proposal-00000000-0000-4000-8000-000000000000", ""), 404, "not-found")
	namesItem(get(png.SHA256, "photo-"+p2, ""), 400, "bad-request")
	namesItem(get(png.SHA256, "proposal-x", ""), 400, "bad-request")
	// A meeting's document: its scope only.
	get(png.SHA256, "meeting-"+mid, "").wantProblem(t, 401, "unauthorized")
	get(png.SHA256, "meeting-"+mid, outsider).wantProblem(t, 403, "forbidden")
	get(png.SHA256, "meeting-"+mid, c.otherFacilitator).wantProblem(t, 403, "forbidden")
	served(get(png.SHA256, "meeting-"+mid, c.r2), pngBytes)

	// r1 also shows r2's photo in a proposal of their own.
	p3 := submit(c.r1, "路灯还是不亮", png.SHA256)
	served(get(png.SHA256, "proposal-"+p3, ""), pngBytes)

	// The author is erased: the reference of their photo with them, and the
	// photo itself, which nothing else refers to: its file is gone and its
	// key destroyed, so no backup of the file opens either.
	stored := get(jpg.SHA256, "proposal-"+p1, "").want(t, 200).body
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200)
	namesItem(get(jpg.SHA256, "proposal-"+p1, ""), 404, "not-found")
	namesItem(get(jpg.SHA256, "proposal-"+p1, c.auditor), 404, "not-found")
	namesItem(get(png.SHA256, "proposal-"+p3, ""), 404, "not-found")
	get(jpg.SHA256, "", c.auditor).wantProblem(t, 404, "not-found")
	if _, err := e.srv.photos.Store().Get(context.Background(), jpg.SHA256); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the erased photo's file is still stored: %v", err)
	}
	// A photo another person's item refers to stays.
	served(get(png.SHA256, "proposal-"+p2, ""), pngBytes)
	served(get(png.SHA256, "", c.auditor), pngBytes)
	if len(stored) == 0 {
		t.Fatal("the photo was empty before the erasure")
	}
}

// TestUploadRecorded: an upload is recorded in the ledger with the stored
// file's hash and the original's (issue 10.11), both sealed under the
// uploader's key.
func TestUploadRecorded(t *testing.T) {
	e := mustServe(t)
	tok := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	original := jpegWithGPS(t)
	var a Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: tok, body: original, header: map[string]string{"Content-Type": "image/jpeg"}}).want(t, 201).decode(t, &a)
	ctx := context.Background()
	events, _, err := e.ledger.Load(ctx, domain.AttachmentStreamPrefix+a.UploadID)
	if err != nil || len(events) != 1 {
		t.Fatalf("the upload's record: %v, %v", events, err)
	}
	up, ok := events[0].(domain.AttachmentUploaded)
	if !ok || up.SHA256 != a.SHA256 || up.OriginalSHA256 != a.OriginalSHA256 || up.UploaderID != "r1" || up.ContentType != "image/jpeg" || up.Size != a.Size {
		t.Fatalf("recorded %+v, want %+v", events[0], a)
	}
	for ev, err := range e.store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Stream == domain.AttachmentStreamPrefix+a.UploadID && bytes.Contains(ev.Data, []byte(a.OriginalSHA256)) {
			t.Errorf("the original's hash is stored in plaintext: %s", ev.Data)
		}
	}
}
