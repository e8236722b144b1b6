package notify

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

func TestRender(t *testing.T) {
	n := projections.Notification{ID: "n1", Item: "proposal-p1", Kind: projections.KindDecided, Detail: projections.DetailAdopted, Title: "停车棚夹道乱堆乱放"}
	assert.Equal(t, Message{ID: "n1", Text: "“停车棚夹道乱堆乱放”表决通过。", URL: "https://y.example/proposals/p1", Language: domain.LangZH}, Render(n, "", "https://y.example/"))
	en := Render(n, domain.LangEN, "https://y.example")
	assert.Equal(t, "\"停车棚夹道乱堆乱放\" was adopted.", en.Text)
	n.Detail = projections.DetailNotAdopted
	assert.Equal(t, "“停车棚夹道乱堆乱放”表决未通过。", Render(n, domain.LangZH, "").Text)

	// Personal data typed into a title is masked; a long title is cut so
	// that the message fits one SMS.
	n = projections.Notification{Item: "action-a1", Kind: projections.KindCompleted, Title: "请联系13812345678处理3号楼2单元501室门口堆放的杂物以及楼道里长期停放的电动车"}
	m := Render(n, domain.LangZH, "")
	assert.NotContains(t, m.Text, "13812345678")
	assert.LessOrEqual(t, utf8.RuneCountInString(m.Text), MaxText)
	assert.Contains(t, m.Text, "…")
	assert.Equal(t, "/actions/a1", m.URL)

	for kind := range phrases {
		for _, lang := range []string{domain.LangZH, domain.LangEN} {
			m := Render(projections.Notification{Kind: kind, Title: "t", Item: "meeting-m"}, lang, "")
			assert.LessOrEqual(t, utf8.RuneCountInString(m.Text), MaxText, kind)
		}
	}
}

func TestQuietHours(t *testing.T) {
	set := domain.DefaultSettings() // 22:00–07:00
	at := func(h, m int) time.Time { return time.Date(2026, 12, 2, h, m, 0, 0, china) }
	for _, c := range []struct {
		now   time.Time
		quiet bool
		end   time.Time
	}{
		{at(21, 59), false, time.Time{}},
		{at(22, 0), true, at(7, 0).AddDate(0, 0, 1)},
		{at(3, 0), true, at(7, 0)},
		{at(7, 0), false, time.Time{}},
	} {
		q, end := Quiet(set, c.now.UTC())
		assert.Equal(t, c.quiet, q, c.now)
		assert.True(t, c.end.Equal(end), "%v: end %v", c.now, end)
	}
	set.QuietFrom, set.QuietTo = "12:00", "12:00"
	q, _ := Quiet(set, at(12, 0))
	assert.False(t, q, "equal bounds: no quiet hours")
}

func TestDigestDue(t *testing.T) {
	set := domain.DefaultSettings()
	set.Digest = domain.DigestDaily
	wed := time.Date(2026, 12, 2, 15, 0, 0, 0, china)
	assert.True(t, DigestDue(set, wed).Equal(time.Date(2026, 12, 3, 7, 0, 0, 0, china)))
	assert.True(t, DigestDue(set, time.Date(2026, 12, 2, 6, 0, 0, 0, china)).Equal(time.Date(2026, 12, 2, 7, 0, 0, 0, china)))
	set.Digest = domain.DigestWeekly
	assert.True(t, DigestDue(set, wed).Equal(time.Date(2026, 12, 7, 7, 0, 0, 0, china)), "the next Monday")
}

func TestWebhookSignature(t *testing.T) {
	key, err := ParseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	assert.NoError(t, err)
	// The Standard Webhooks specification's example.
	body := []byte(`{"test": 2432232314}`)
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body))
	_, err = ParseWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	assert.Error(t, err)
	_, err = ParseWebhookSecret("whsec_c2hvcnQ=")
	assert.Error(t, err, "too short")
}
