/**
 * Uploaded files: what the check of an upload found, defined once here for the files domain, the
 * jobs that read the files and the HTTP API.
 */

/**
 * `processed`: stored (and, for fine-tune files, checked and stored as a dataset version); `error`:
 * stored, but its examples have errors (its report says which). A file is checked as it arrives, so
 * OpenAI's `uploaded` never lasts here: the API lists it only for its clients' sake.
 */
export const FILE_STATUSES = ["processed", "error"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];
