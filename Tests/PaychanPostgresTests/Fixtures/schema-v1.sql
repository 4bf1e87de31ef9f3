-- The PostgreSQL store's schema at version 1, as shipped: what a database left by the first
-- version holds. The migration test loads it, adds v1 rows, and opens a current store on it.
-- Never edit: a later schema is a migration in Sources/PaychanPostgres/PostgresSchema.swift.
CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE server_channels (
    contract_txid bytea PRIMARY KEY,
    version bigint NOT NULL,
    contract bytea NOT NULL,
    channel_value bigint NOT NULL,
    server_key_index bigint NOT NULL,
    server_public_key bytea NOT NULL,
    client_public_key bytea NOT NULL,
    client_output_script bytea NOT NULL,
    expiry bigint NOT NULL,
    best_value_to_server bigint NOT NULL,
    best_signature bytea NOT NULL,
    state text NOT NULL,
    settlement bytea
);

CREATE TABLE client_channels (
    contract_txid bytea PRIMARY KEY,
    version bigint NOT NULL,
    server_id text NOT NULL,
    contract bytea NOT NULL,
    channel_value bigint NOT NULL,
    refund bytea NOT NULL,
    client_key_index bigint NOT NULL,
    client_public_key bytea NOT NULL,
    server_public_key bytea NOT NULL,
    expiry bigint NOT NULL,
    value_left bigint NOT NULL,
    min_payment bigint NOT NULL,
    state text NOT NULL,
    settlement bytea
);

CREATE TABLE wallet_outputs (
    txid bytea NOT NULL,
    output_index bigint NOT NULL,
    value bigint NOT NULL,
    script_pub_key bytea NOT NULL,
    key_family bigint NOT NULL,
    key_index bigint NOT NULL,
    spent_by bytea,
    PRIMARY KEY (txid, output_index)
);

CREATE INDEX wallet_outputs_spent_by ON wallet_outputs (spent_by) WHERE spent_by IS NOT NULL;

CREATE TABLE key_indexes (
    family bigint PRIMARY KEY,
    next_index bigint NOT NULL
);

INSERT INTO schema_version (version, description) VALUES (1, 'paychan channel store');
