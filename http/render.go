package http

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// headerETag is the entity tag header (echo has no constant for it).
const headerETag = "ETag"

// writeJSON renders v with an explicit content type, such as
// application/problem+json.
func writeJSON(c echo.Context, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, contentType, b)
}
