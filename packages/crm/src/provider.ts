// The one interface the tools call. Each provider (hubspot.ts, salesforce.ts) maps it onto its API:
// object names, field names, pipelines and stages, activities, associations and lookups, paging.
import { cleanText, type ToolContext } from '@bizmcp/core';

export type ProviderName = 'hubspot' | 'salesforce';

/** The three objects every tool knows by a common name; any other object goes by its own API name. */
export type CommonObject = 'contacts' | 'companies' | 'deals';

export type Value = string | number | boolean | null;

export interface CrmRecord {
  id: string;
  /** The provider's own object name (contacts / Contact, companies / Account, deals / Opportunity). */
  objectType: string;
  properties: Record<string, Value>;
  createdAt?: string;
  updatedAt?: string;
}

export type FilterOperator = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'contains' | 'starts_with' | 'in' | 'has_value' | 'no_value';

export interface Filter {
  property: string;
  operator: FilterOperator;
  /** A list for `in`; absent for has_value / no_value. */
  value?: Value | Value[];
}

export interface Sort {
  property: string;
  direction: 'asc' | 'desc';
}

export interface SearchRequest {
  objectType: string;
  filters: Filter[];
  sorts: Sort[];
  properties: string[];
  limit: number;
  cursor?: string;
}

export interface SearchPage {
  records: CrmRecord[];
  nextCursor?: string;
  /** Total matches, when the API says. */
  total?: number;
}

export interface Stage {
  id: string;
  label: string;
  order: number;
  /** 0..1 */
  probability?: number;
  closed?: boolean;
  won?: boolean;
}

export interface Pipeline {
  id: string;
  label: string;
  stages: Stage[];
}

export type ActivityType = 'note' | 'call' | 'email' | 'meeting' | 'task';

export interface ActivityInput {
  type: ActivityType;
  subject?: string;
  body: string;
  /** ISO time the activity happened (or is due, for a task). */
  timestamp: string;
  durationMinutes?: number;
  contactIds: string[];
  companyIds: string[];
  dealIds: string[];
}

export interface Association {
  id: string;
  objectType: string;
  /** The association labels (HubSpot) or the lookup field (Salesforce) that links them. */
  labels: string[];
}

export interface FieldInfo {
  name: string;
  label: string;
  type: string;
  required: boolean;
  readOnly: boolean;
  options?: { value: string; label: string }[];
  referenceTo?: string[];
}

export interface ObjectInfo {
  name: string;
  label: string;
  custom: boolean;
}

export interface Owner {
  id: string;
  name?: string;
  email?: string;
  active: boolean;
}

export interface UsageInfo {
  /** Said when the remaining allowance is low. */
  warning?: string;
  used?: number;
  limit?: number;
}

export type Ctx = Pick<ToolContext, 'signal' | 'deadline' | 'remainingMs'>;

export interface CrmProvider {
  readonly name: ProviderName;
  /** contacts/companies/deals or a provider name → the provider's own object name. */
  objectName(type: string): string;
  /** The provider's own name of a common field (email, first_name, amount, stage, …). */
  field(object: CommonObject, common: string): string;

  get(ctx: Ctx, objectType: string, id: string, properties: string[]): Promise<CrmRecord>;
  /** Records whose `property` equals `value` exactly (at most `max`). */
  findBy(ctx: Ctx, objectType: string, property: string, value: string, properties: string[], max: number): Promise<CrmRecord[]>;
  search(ctx: Ctx, req: SearchRequest): Promise<SearchPage>;
  create(ctx: Ctx, objectType: string, properties: Record<string, Value>): Promise<CrmRecord>;
  update(ctx: Ctx, objectType: string, id: string, properties: Record<string, Value>): Promise<CrmRecord>;
  archive(ctx: Ctx, objectType: string, id: string): Promise<void>;

  pipelines(ctx: Ctx, objectType: string): Promise<Pipeline[]>;
  /** The pipeline a deal is in (its id), when the provider has several. */
  dealPipelineId(deal: CrmRecord): string | undefined;

  logActivity(ctx: Ctx, a: ActivityInput): Promise<CrmRecord>;
  associate(ctx: Ctx, fromType: string, fromId: string, toType: string, toId: string): Promise<void>;
  associations(ctx: Ctx, fromType: string, fromId: string, toType: string, limit: number, cursor?: string): Promise<{ items: Association[]; nextCursor?: string }>;

  describe(ctx: Ctx, objectType: string): Promise<{ name: string; label: string; fields: FieldInfo[] }>;
  objects(ctx: Ctx): Promise<ObjectInfo[]>;
  owners(ctx: Ctx, limit: number, cursor?: string): Promise<{ items: Owner[]; nextCursor?: string }>;

  /** API allowance, when the last answers said it. */
  usage(): UsageInfo | undefined;
}

// ------------------------------------------------------------------------------- common names

/** Common field names per object, for each provider. */
export const COMMON_FIELDS: Record<CommonObject, Record<string, { hubspot: string; salesforce: string }>> = {
  contacts: {
    email: { hubspot: 'email', salesforce: 'Email' },
    first_name: { hubspot: 'firstname', salesforce: 'FirstName' },
    last_name: { hubspot: 'lastname', salesforce: 'LastName' },
    phone: { hubspot: 'phone', salesforce: 'Phone' },
    job_title: { hubspot: 'jobtitle', salesforce: 'Title' },
    owner_id: { hubspot: 'hubspot_owner_id', salesforce: 'OwnerId' },
  },
  companies: {
    name: { hubspot: 'name', salesforce: 'Name' },
    domain: { hubspot: 'domain', salesforce: 'Website' },
    industry: { hubspot: 'industry', salesforce: 'Industry' },
    phone: { hubspot: 'phone', salesforce: 'Phone' },
    city: { hubspot: 'city', salesforce: 'BillingCity' },
    country: { hubspot: 'country', salesforce: 'BillingCountry' },
    owner_id: { hubspot: 'hubspot_owner_id', salesforce: 'OwnerId' },
  },
  deals: {
    name: { hubspot: 'dealname', salesforce: 'Name' },
    stage: { hubspot: 'dealstage', salesforce: 'StageName' },
    amount: { hubspot: 'amount', salesforce: 'Amount' },
    close_date: { hubspot: 'closedate', salesforce: 'CloseDate' },
    owner_id: { hubspot: 'hubspot_owner_id', salesforce: 'OwnerId' },
    pipeline: { hubspot: 'pipeline', salesforce: 'RecordTypeId' },
  },
};

export const COMMON_OBJECTS: Record<CommonObject, { hubspot: string; salesforce: string }> = {
  contacts: { hubspot: 'contacts', salesforce: 'Contact' },
  companies: { hubspot: 'companies', salesforce: 'Account' },
  deals: { hubspot: 'deals', salesforce: 'Opportunity' },
};

export const isCommonObject = (t: string): t is CommonObject => t === 'contacts' || t === 'companies' || t === 'deals';

// ------------------------------------------------------------------------------- data hygiene

// Personal fields: e-mail, phone and postal address (HubSpot and Salesforce names alike).
const PII_FIELD = /e-?mail|phone|fax|street|address|postal|zip/i;
// Free text a stranger may have written: notes, descriptions, activity bodies.
const TEXT_FIELD = /body|description|note|comment|subject|title|text|message/i;

const maskEmail = (e: string) => {
  const at = e.lastIndexOf('@');
  return at < 1 ? '***' : `${e[0]}***@${e.slice(at + 1)}`;
};

/** Masks one personal value: e-mails keep their first letter and domain, phones their last two digits. */
export function maskValue(field: string, v: Value): Value {
  if (typeof v !== 'string' || !v) return v;
  if (/e-?mail/i.test(field)) return v.includes('@') ? maskEmail(v) : '***';
  if (/phone|fax/i.test(field)) return `***${v.replace(/\D/g, '').slice(-2)}`;
  return '***';
}

export const isPiiField = (field: string) => PII_FIELD.test(field) && !/opt|bounce|count|date|status|type/i.test(field);

/**
 * A record as the model sees it: every text through the untrusted-text layer (free-text fields
 * flagged), and personal fields masked when CRM_MASK_PII is set.
 */
export function present(r: CrmRecord, maskPii: boolean): CrmRecord & { untrustedFields?: string[] } {
  const properties: Record<string, Value> = {};
  const untrusted: string[] = [];
  for (const [k, v] of Object.entries(r.properties)) {
    let out: Value = typeof v === 'string' ? cleanText(v) : v;
    if (typeof v === 'string' && TEXT_FIELD.test(k) && v) untrusted.push(k);
    if (maskPii && isPiiField(k)) out = maskValue(k, out);
    properties[k] = out;
  }
  return { ...r, properties, ...(untrusted.length ? { untrustedFields: untrusted } : {}) };
}
