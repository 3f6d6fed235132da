-- SMART on FHIR (src/auth/smart): registered apps, pending authorisations, launch contexts,
-- authorisation codes, refresh tokens and used client-assertion ids; scopes and the patient
-- context on access tokens; the Patient a patient user is.
ALTER TABLE app_user ADD COLUMN patient_id text;

ALTER TABLE access_token ADD COLUMN scope text;
ALTER TABLE access_token ADD COLUMN patient_id text;
ALTER TABLE access_token ADD COLUMN client_id text;

CREATE TABLE smart_client (
  id text PRIMARY KEY,
  name text NOT NULL,
  redirect_uris text[] NOT NULL DEFAULT '{}',
  scope text NOT NULL,
  -- NULL for a public app (PKCE alone); the SHA-256 of the secret for a confidential one.
  secret_hash text,
  -- Backend services: the public keys (a JWKS) its assertions are signed with, and the service
  -- user whose role the scopes narrow.
  jwks jsonb,
  service_user_id text REFERENCES app_user (id),
  launch_url text,
  disabled boolean NOT NULL DEFAULT false,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- An authorisation request waiting for the user's consent.
CREATE TABLE smart_authorization (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES smart_client (id),
  redirect_uri text NOT NULL,
  scope text NOT NULL,
  state text,
  code_challenge text NOT NULL,
  launch_id text,
  expires_at timestamptz NOT NULL
);

-- An EHR launch: the user and patient the app is started with.
CREATE TABLE smart_launch (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES app_user (id),
  patient_id text,
  expires_at timestamptz NOT NULL
);

CREATE TABLE smart_code (
  code_hash text PRIMARY KEY,
  client_id text NOT NULL REFERENCES smart_client (id),
  user_id text NOT NULL REFERENCES app_user (id),
  redirect_uri text NOT NULL,
  scope text NOT NULL,
  patient_id text,
  purpose text NOT NULL,
  code_challenge text NOT NULL,
  expires_at timestamptz NOT NULL,
  used boolean NOT NULL DEFAULT false
);

CREATE TABLE smart_refresh_token (
  id text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  client_id text NOT NULL REFERENCES smart_client (id),
  user_id text NOT NULL REFERENCES app_user (id),
  scope text NOT NULL,
  patient_id text,
  purpose text NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);

-- Client assertion ids (jti) seen, kept until the assertion would have expired: no replays.
CREATE TABLE smart_assertion (
  client_id text NOT NULL,
  jti text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
