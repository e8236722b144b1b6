// Yishi's pages work without this file; it only enhances them.
"use strict";
