import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../principals/types.ts';
import { requireGlobalWrite, requireSubjectWrite, type CanWriteSubject, type SubjectWrite } from './auth.ts';
import type { Registry } from './registry.ts';
import { flag, parseConfigRequest, parseModeRequest, parseSchemaId, parseSchemaRequest, parseSubject, parseVersion, text } from './request.ts';
import { schemaTypes } from './types.ts';

export interface RouteDeps {
  registry: Registry;
  principalOf: (request: FastifyRequest) => Principal;
  canWriteSubject: CanWriteSubject;
}

type WithSubject = { Params: { subject: string } };
type WithVersion = { Params: { subject: string; version: string } };
type WithId = { Params: { id: string } };

/** Confluent's REST endpoints, relative to the plugin prefix. */
export function registryRoutes(app: FastifyInstance, { registry, principalOf, canWriteSubject }: RouteDeps): void {
  const writeSubject = async (request: FastifyRequest, rawSubject: string, write: SubjectWrite): Promise<string> => {
    const subject = parseSubject(rawSubject);
    await requireSubjectWrite({ principal: principalOf(request), subject, write, canWriteSubject });
    return subject;
  };
  const writeGlobal = (request: FastifyRequest): void => requireGlobalWrite(principalOf(request));

  app.get('/', async () => ({}));

  app.get('/schemas/types', async () => [...schemaTypes]);

  app.get('/schemas', async (req) =>
    registry.listSchemas({ includeDeleted: flag(req.query, 'deleted'), prefix: text(req.query, 'subjectPrefix'), latestOnly: flag(req.query, 'latestOnly') }),
  );

  app.get<WithId>('/schemas/ids/:id', async (req) => {
    const subject = text(req.query, 'subject');
    const s = await registry.schemaById(parseSchemaId(req.params.id), subject ? { subject } : {});
    return s.schemaType === 'AVRO' ? { schema: s.schema } : { schemaType: s.schemaType, schema: s.schema };
  });

  app.get<WithId>('/schemas/ids/:id/schema', async (req) => (await registry.schemaById(parseSchemaId(req.params.id), {})).schema);

  app.get<WithId>('/schemas/ids/:id/subjects', async (req) =>
    registry.subjectsOfSchema(parseSchemaId(req.params.id), { includeDeleted: flag(req.query, 'deleted') }),
  );

  app.get<WithId>('/schemas/ids/:id/versions', async (req) =>
    registry.versionsOfSchema(parseSchemaId(req.params.id), { includeDeleted: flag(req.query, 'deleted') }),
  );

  app.get('/subjects', async (req) => registry.subjects({ includeDeleted: flag(req.query, 'deleted'), prefix: text(req.query, 'subjectPrefix') }));

  app.get<WithSubject>('/subjects/:subject/versions', async (req) =>
    registry.versions(parseSubject(req.params.subject), { includeDeleted: flag(req.query, 'deleted') }),
  );

  app.get<WithVersion>('/subjects/:subject/versions/:version', async (req) =>
    registry.version(parseSubject(req.params.subject), parseVersion(req.params.version), { includeDeleted: flag(req.query, 'deleted') }),
  );

  app.get<WithVersion>('/subjects/:subject/versions/:version/schema', async (req) => {
    const v = await registry.version(parseSubject(req.params.subject), parseVersion(req.params.version), { includeDeleted: flag(req.query, 'deleted') });
    return v.schema;
  });

  // Schema references are not supported, so nothing can refer to a version; the version must exist.
  app.get<WithVersion>('/subjects/:subject/versions/:version/referencedby', async (req) => {
    await registry.version(parseSubject(req.params.subject), parseVersion(req.params.version), { includeDeleted: true });
    return [];
  });

  app.post<WithSubject>('/subjects/:subject/versions', async (req) => {
    const schema = parseSchemaRequest(req.body);
    const subject = await writeSubject(req, req.params.subject, { kind: 'register', schema: schema.schema });
    return registry.register(subject, schema);
  });

  app.post<WithSubject>('/subjects/:subject', async (req) =>
    registry.lookup(parseSubject(req.params.subject), parseSchemaRequest(req.body), { includeDeleted: flag(req.query, 'deleted') }),
  );

  app.delete<WithSubject>('/subjects/:subject', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'delete' });
    return registry.deleteSubject(subject, { permanent: flag(req.query, 'permanent') });
  });

  app.delete<WithVersion>('/subjects/:subject/versions/:version', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'delete' });
    return registry.deleteVersion(subject, parseVersion(req.params.version), { permanent: flag(req.query, 'permanent') });
  });

  app.post<WithVersion>('/compatibility/subjects/:subject/versions/:version', async (req) =>
    registry.testCompatibility(parseSubject(req.params.subject), parseVersion(req.params.version), parseSchemaRequest(req.body), {
      verbose: flag(req.query, 'verbose'),
    }),
  );

  app.post<WithSubject>('/compatibility/subjects/:subject/versions', async (req) =>
    registry.testCompatibility(parseSubject(req.params.subject), null, parseSchemaRequest(req.body), { verbose: flag(req.query, 'verbose') }),
  );

  app.get('/config', async () => ({ compatibilityLevel: await registry.getConfig(null, { defaultToGlobal: true }) }));

  app.put('/config', async (req) => {
    writeGlobal(req);
    const compatibility = parseConfigRequest(req.body);
    await registry.setConfig(null, compatibility);
    return { compatibility };
  });

  app.delete('/config', async (req) => {
    writeGlobal(req);
    return { compatibilityLevel: await registry.deleteConfig(null) };
  });

  app.get<WithSubject>('/config/:subject', async (req) => ({
    compatibilityLevel: await registry.getConfig(parseSubject(req.params.subject), { defaultToGlobal: flag(req.query, 'defaultToGlobal') }),
  }));

  app.put<WithSubject>('/config/:subject', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'config' });
    const compatibility = parseConfigRequest(req.body);
    await registry.setConfig(subject, compatibility);
    return { compatibility };
  });

  app.delete<WithSubject>('/config/:subject', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'config' });
    return { compatibilityLevel: await registry.deleteConfig(subject) };
  });

  app.get('/mode', async () => ({ mode: await registry.getMode(null, { defaultToGlobal: true }) }));

  app.put('/mode', async (req) => {
    writeGlobal(req);
    const mode = parseModeRequest(req.body);
    await registry.setMode(null, mode, { force: flag(req.query, 'force') });
    return { mode };
  });

  app.get<WithSubject>('/mode/:subject', async (req) => ({
    mode: await registry.getMode(parseSubject(req.params.subject), { defaultToGlobal: flag(req.query, 'defaultToGlobal') }),
  }));

  app.put<WithSubject>('/mode/:subject', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'mode' });
    const mode = parseModeRequest(req.body);
    await registry.setMode(subject, mode, { force: flag(req.query, 'force') });
    return { mode };
  });

  app.delete<WithSubject>('/mode/:subject', async (req) => {
    const subject = await writeSubject(req, req.params.subject, { kind: 'mode' });
    return { mode: await registry.deleteMode(subject) };
  });
}
