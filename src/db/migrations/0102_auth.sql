-- Users, access tokens and break-the-glass grants.
CREATE TABLE app_user (
  id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text,
  password_hash text NOT NULL,
  role text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE access_token (
  id text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  user_id text NOT NULL REFERENCES app_user (id),
  purpose text NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);

CREATE TABLE break_glass (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES app_user (id),
  patient_id text NOT NULL,
  reason text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  reviewed_by text,
  reviewed_at timestamptz,
  review_note text
);
CREATE INDEX break_glass_active ON break_glass (user_id, expires_at);
