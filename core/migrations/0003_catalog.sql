-- Service items (事项) and their guides (办事指南), aggregated from the provincial platform.
-- The platform is the system of record ("同源发布"): the guide is kept as it publishes it,
-- with the columns we filter and search on beside it.
CREATE TABLE catalog_items (
    code                text PRIMARY KEY,
    name                text NOT NULL,
    item_type           text NOT NULL,
    department_code     text NOT NULL,
    department_name     text NOT NULL,
    region_code         text NOT NULL,
    region_name         text NOT NULL,
    themes              text[] NOT NULL DEFAULT '{}',
    case_type           text NOT NULL CHECK (case_type IN ('immediate', 'promised')),
    online_level        text NOT NULL
                        CHECK (online_level IN ('full_online', 'online_prereview', 'in_hall')),
    charged             boolean NOT NULL,
    issues_licence      boolean NOT NULL,
    is_bundle           boolean NOT NULL,
    status              text NOT NULL CHECK (status IN ('active', 'suspended', 'terminated')),
    status_reason       text,
    annual_volume       integer NOT NULL DEFAULT 0 CHECK (annual_volume >= 0),
    platform_version    integer NOT NULL,
    platform_updated_at timestamptz NOT NULL,
    guide               jsonb NOT NULL,
    -- Lower-cased name and guide text for keyword search; pinyin initials of the name.
    search_text         text NOT NULL,
    name_initials       text NOT NULL,
    synced_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX catalog_items_department ON catalog_items (department_code);
CREATE INDEX catalog_items_region ON catalog_items (region_code);
CREATE INDEX catalog_items_themes ON catalog_items USING gin (themes);
CREATE INDEX catalog_items_hot ON catalog_items (annual_volume DESC, code);

-- Where each incremental feed stopped; written in the same transaction as the page it follows,
-- so a crash resumes exactly after the last committed page.
CREATE TABLE catalog_sync_state (
    feed           text PRIMARY KEY,
    cursor         text,
    last_synced_at timestamptz,
    items_applied  bigint NOT NULL DEFAULT 0
);
