package http

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/yishi-civic/yishi/auth"
)

// TestAttachmentDirectorySynced checks that an upload is answered only after
// the directory that holds the photo's new name, and its parent, are
// synced: without it a crash can keep the event that refers to the photo
// and lose the photo (issue 9.20).
func TestAttachmentDirectorySynced(t *testing.T) {
	e := mustServe(t)
	var mu sync.Mutex
	var synced []string
	e.srv.syncDir = func(dir string) error {
		mu.Lock()
		synced = append(synced, dir)
		mu.Unlock()
		return syncDirectory(dir)
	}
	tok := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	var a Attachment
	e.do(req{method: "POST", path: "/v1/attachments", token: tok, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}}).want(t, 201).decode(t, &a)
	mu.Lock()
	defer mu.Unlock()
	for _, dir := range []string{filepath.Dir(e.srv.attachmentPath(a.SHA256)), e.srv.attach} {
		if !slices.Contains(synced, dir) {
			t.Errorf("%s was not synced before the upload was answered (synced: %v)", dir, synced)
		}
	}
}
