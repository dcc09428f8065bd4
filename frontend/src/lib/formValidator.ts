// An rjsf validator that never compiles code. ajv (rjsf's default) builds its
// validators with `new Function`, which the page's Content-Security-Policy
// forbids; @cfworker/json-schema interprets the schema instead.
import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  createErrorHandler,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  type CustomValidator,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from '@rjsf/utils';

const WRAPPER_KEYWORDS = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'unevaluatedItems',
  'contains',
  '$ref',
  '$recursiveRef',
  '$dynamicRef',
  'allOf',
  'if',
  'then',
  'else',
  'dependentSchemas',
  'dependencies',
]);

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function decodeSegment(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** "#/a/0/b" → ".a.0.b" (rjsf's property path notation). */
export function pointerToProperty(pointer: string): string {
  const segments = pointer.replace(/^#/, '').split('/').filter(Boolean).map(decodeSegment);
  return segments.map((s) => `.${s}`).join('');
}

/** The leaf problems of a cfworker result as rjsf errors, without the "some property failed" wrappers. */
export function toRjsfErrors(units: readonly OutputUnit[]): RJSFValidationError[] {
  const errors: RJSFValidationError[] = [];
  for (const unit of units) {
    if (WRAPPER_KEYWORDS.has(unit.keyword)) continue;
    // Errors from inside the branches of anyOf/oneOf are noise next to the anyOf error itself.
    if (/\/(anyOf|oneOf)\/\d+/.test(unit.keywordLocation)) continue;
    let property = pointerToProperty(unit.instanceLocation);
    let message = unit.error;
    if (unit.keyword === 'required') {
      const missing = /required property "(.*)"/.exec(unit.error)?.[1];
      if (missing !== undefined) {
        property = `${property}.${missing}`;
        message = 'is required';
      }
    }
    errors.push({
      name: unit.keyword,
      property,
      message,
      schemaPath: unit.keywordLocation,
      stack: `${property ? `${property.slice(1)}: ` : ''}${message}`,
    });
  }
  return errors;
}

/** The schema with the root's definitions attached, so `#/$defs/...` refs resolve. */
function withRootDefinitions(schema: RJSFSchema, rootSchema: RJSFSchema | undefined): Schema {
  const copy = clone(schema) as Schema;
  if (rootSchema && rootSchema !== schema) {
    if (rootSchema.$defs && !copy.$defs) copy.$defs = clone(rootSchema.$defs);
    if (rootSchema.definitions && !copy.definitions) copy.definitions = clone(rootSchema.definitions);
  }
  return copy;
}

export class InterpretingValidator implements ValidatorType {
  private cache = new WeakMap<object, Validator>();

  private validatorFor(schema: RJSFSchema, rootSchema?: RJSFSchema): Validator {
    const cached = rootSchema === undefined || rootSchema === schema ? this.cache.get(schema) : undefined;
    if (cached) return cached;
    const validator = new Validator(withRootDefinitions(schema, rootSchema), '2020-12', false);
    if (rootSchema === undefined || rootSchema === schema) this.cache.set(schema, validator);
    return validator;
  }

  rawValidation<Result = OutputUnit>(schema: RJSFSchema, formData?: unknown): { errors?: Result[]; validationError?: Error } {
    try {
      const result = this.validatorFor(schema).validate(formData);
      return { errors: result.valid ? undefined : (result.errors as unknown as Result[]) };
    } catch (err) {
      return { validationError: err as Error };
    }
  }

  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator,
    transformErrors?: ErrorTransformer,
    uiSchema?: UiSchema,
  ): ValidationData<unknown> {
    const raw = this.rawValidation<OutputUnit>(schema, formData);
    let errors = toRjsfErrors(raw.errors ?? []);
    if (raw.validationError) errors.push({ stack: raw.validationError.message, message: raw.validationError.message });
    if (typeof transformErrors === 'function') errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema(errors);
    if (typeof customValidate !== 'function') return { errors, errorSchema };
    const handler = customValidate(formData, createErrorHandler(formData), uiSchema, errorSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  }

  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    try {
      return this.validatorFor(schema, rootSchema).validate(formData).valid;
    } catch {
      return false;
    }
  }

  reset(): void {
    this.cache = new WeakMap();
  }
}

export const formValidator = new InterpretingValidator();
