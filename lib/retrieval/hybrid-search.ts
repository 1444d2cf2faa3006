import { ArnFormat, CustomResource, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { INGESTION_OPERATIONS } from '../../lambda/ingestion/core';
import { TENANT_KEY_PREFIXES } from '../../lambda/ingestion/curated-objects';
import { RETRIEVAL_OPERATIONS } from '../../lambda/retrieval/core';
import { SETUP_OPERATIONS } from '../../lambda/search-setup/core';
import { SECURITY_ROLES, pipelineBody, pipelineVersion } from '../../lambda/shared/search-index';
import { acknowledgeFinding, wildcardResourceFindingId } from '../compliance/acknowledge';
import { DataClass } from '../core/data-class';
import { PavedRoadError } from '../core/errors';
import type { Foundation } from '../foundation/foundation';
import { declareServiceOperations, ServiceCaller } from '../permissions/service-operations';
import { InvocationMode, PavedRoadFunction } from '../serverless/paved-road-function';
import { EncryptedQueueTarget } from './encrypted-queue-target';
import { HybridFusion } from './hybrid-fusion';
import { type SearchInstanceType, type SearchSizing, sizeSearchDomain } from './sizing';

/** The embedding model the functions call: Titan Text Embeddings V2, invoked in-region. */
export const EMBEDDING_MODEL_ID = 'amazon.titan-embed-text-v2:0';

/** Properties of a {@link HybridSearch}. */
export interface HybridSearchProps {
  /** The environment's foundation: VPC, keys, logs, removal policy. */
  readonly foundation: Foundation;
  /** The data lake's curated bucket; its objects under `tenant=<id>/` partitions are ingested. */
  readonly curatedBucket: s3.IBucket;
  /**
   * Chunks the index is expected to hold (without replicas); drives the sizing.
   * @default 500_000
   */
  readonly expectedChunks?: number;
  /**
   * Embedding dimensions of Titan Text Embeddings V2: 256, 512 or 1024.
   * @default 1024
   */
  readonly embeddingDimensions?: number;
  /**
   * Replica shards per primary.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * HNSW `m` (graph edges per vector).
   * @default 16
   */
  readonly hnswM?: number;
  /**
   * HNSW `ef_construction`.
   * @default 128
   */
  readonly efConstruction?: number;
  /**
   * Chunk size in characters.
   * @default 1000
   */
  readonly chunkSizeChars?: number;
  /**
   * Characters each chunk repeats from the previous one.
   * @default 150
   */
  readonly chunkOverlapChars?: number;
  /**
   * Score fusion of the hybrid search pipeline.
   * @default HybridFusion.normalization(0.3)
   */
  readonly fusion?: HybridFusion;
  /**
   * Data-node instance type.
   * @default - the cheapest type that fits the workload (see sizing.ts)
   */
  readonly instanceType?: SearchInstanceType;
  /**
   * Data-node count, a multiple of the stage's AZ count.
   * @default - the smallest count that fits the workload
   */
  readonly dataNodeCount?: number;
  /**
   * gp3 volume per data node, GiB.
   * @default - the storage need spread over the nodes, at least 10 GiB
   */
  readonly volumeSizeGiB?: number;
  /**
   * Primary shards of the index.
   * @default - data nodes / (1 + replicas), at least 1
   */
  readonly shards?: number;
  /**
   * Data class of the curated data the index serves; recorded on every chunk.
   * @default DataClass.CONFIDENTIAL
   */
  readonly dataClass?: DataClass;
  /**
   * Index name.
   * @default 'chunks'
   */
  readonly indexName?: string;
  /**
   * Domain name (3-28 lower-case letters, digits and dashes).
   * @default - `rag-<environment name>`, cut to 28 characters
   */
  readonly domainName?: string;
}

/** A hybrid retrieval capability other constructs can grant access to. */
export interface IHybridSearch extends IConstruct {
  /** The OpenSearch domain. */
  readonly domain: opensearch.IDomain;
  /** Name of the chunk index. */
  readonly indexName: string;
  /**
   * ARN of the retrieval function, for callers that invoke it through the Lambda Invoke API
   * (the AI gateway reads it from `RETRIEVAL_FUNCTION`). Pair it with {@link grantRetrieve}.
   */
  readonly retrievalFunctionArn: string;
  /** Lets `grantee` invoke the retrieval function. */
  grantRetrieve(grantee: iam.IGrantable): iam.Grant;
}

const DOMAIN_NAME = /^[a-z][a-z0-9-]{2,27}$/;
const PIPELINE_NAME = 'hybrid-search';

/**
 * Hybrid (BM25 + k-NN) retrieval on Amazon OpenSearch Service, sized from the workload: a
 * VPC-only, encrypted, fine-grained-access-controlled domain; the index and search pipeline as a
 * custom resource; a tenant-isolated retrieval function; and ingestion from the curated bucket
 * (EventBridge -> SQS -> function).
 */
export class HybridSearch extends Construct implements IHybridSearch {
  /** The OpenSearch domain. */
  public readonly domain: opensearch.Domain;
  /** The sizing decision behind the domain. */
  public readonly sizing: SearchSizing;
  /** Answers `{query, filters, k}` for the tenant of the authenticated caller. */
  public readonly retrievalFunction: PavedRoadFunction;
  /** ARN of {@link retrievalFunction}. */
  public readonly retrievalFunctionArn: string;
  /** Indexes and removes chunks as curated objects are created and deleted. */
  public readonly ingestionFunction: PavedRoadFunction;
  /** Buffers object events for ingestion. */
  public readonly ingestionQueue: sqs.Queue;
  /** Receives object events ingestion failed on repeatedly. */
  public readonly ingestionDeadLetters: sqs.Queue;
  /** Name of the chunk index. */
  public readonly indexName: string;
  /** Name of the hybrid search pipeline. */
  public readonly pipelineName: string = PIPELINE_NAME;
  /** Security group of the domain. */
  public readonly securityGroup: ec2.SecurityGroup;

  private readonly foundation: Foundation;

  constructor(scope: Construct, id: string, props: HybridSearchProps) {
    super(scope, id);
    const { foundation, curatedBucket } = props;
    this.foundation = foundation;
    const env = foundation.environment;
    const stage = env.stage;
    const dimensions = props.embeddingDimensions ?? 1024;
    if (![256, 512, 1024].includes(dimensions)) {
      throw new PavedRoadError(`${this.node.path}: embeddingDimensions ${dimensions} is not offered by Titan Text Embeddings V2; use 256, 512 or 1024`);
    }
    env.zone.assertModel(EMBEDDING_MODEL_ID, this.node.path);
    const replicas = props.replicas ?? 1;
    const hnswM = props.hnswM ?? 16;
    const chunkSize = props.chunkSizeChars ?? 1000;
    const chunkOverlap = props.chunkOverlapChars ?? 150;
    if (!Number.isInteger(chunkSize) || chunkSize < 100 || !Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize / 2) {
      throw new PavedRoadError(`${this.node.path}: chunkSizeChars ${chunkSize} / chunkOverlapChars ${chunkOverlap} are invalid; use a size of at least 100 and an overlap below half the size`);
    }
    this.sizing = sizeSearchDomain({
      expectedChunks: props.expectedChunks ?? 500_000,
      dimensions,
      replicas,
      hnswM,
      // Chunk text in UTF-8 plus metadata fields.
      averageChunkBytes: chunkSize * 2,
      availabilityZoneCount: stage.availabilityZoneCount,
      instanceType: props.instanceType,
      dataNodeCount: props.dataNodeCount,
      volumeSizeGiB: props.volumeSizeGiB,
    });
    this.indexName = props.indexName ?? 'chunks';
    const domainName = props.domainName ?? `rag-${env.name}`.slice(0, 28).replace(/-+$/, '');
    if (!DOMAIN_NAME.test(domainName)) {
      throw new PavedRoadError(`${this.node.path}: domainName '${domainName}' is invalid; use 3-28 lower-case letters, digits and dashes, starting with a letter`);
    }
    const dataClass = props.dataClass ?? DataClass.CONFIDENTIAL;
    const removalPolicy = foundation.removalPolicy;

    const setupFunction = new PavedRoadFunction(this, 'SetupFunction', {
      foundation,
      entry: 'lambda/search-setup/index.ts',
      description: 'Creates and updates the retrieval index, search pipeline and security roles (custom resource)',
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: 1,
      operations: SETUP_OPERATIONS,
    });
    this.retrievalFunction = new PavedRoadFunction(this, 'RetrievalFunction', {
      foundation,
      entry: 'lambda/retrieval/index.ts',
      description: 'Hybrid retrieval for the authenticated tenant: chunks with citations',
      timeout: Duration.seconds(15),
      memorySize: 1024,
      operations: RETRIEVAL_OPERATIONS,
      // The gateway invokes it with RequestResponse: errors return to the gateway.
      invocationMode: InvocationMode.SYNCHRONOUS,
    });
    this.retrievalFunctionArn = this.retrievalFunction.functionArn;
    this.ingestionFunction = new PavedRoadFunction(this, 'IngestionFunction', {
      foundation,
      entry: 'lambda/ingestion/index.ts',
      description: 'Chunks, embeds and indexes curated objects; removes deleted ones',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      reservedConcurrentExecutions: 5,
      operations: INGESTION_OPERATIONS,
      // Invoked by its SQS event source mapping: failed messages stay in the ingestion queue and its redrive policy.
      invocationMode: InvocationMode.SYNCHRONOUS,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: foundation.vpc,
      description: 'OpenSearch domain: HTTPS from the retrieval, ingestion and setup functions only',
      allowAllOutbound: false,
    });
    for (const fn of [setupFunction, this.retrievalFunction, this.ingestionFunction]) {
      this.securityGroup.connections.allowFrom(fn, ec2.Port.tcp(443), `HTTPS from ${fn.node.id}`);
    }

    const logGroups = {
      slowSearch: foundation.createLogGroup(this, 'SlowSearchLogs'),
      slowIndex: foundation.createLogGroup(this, 'SlowIndexLogs'),
      app: foundation.createLogGroup(this, 'AppLogs'),
      audit: foundation.createLogGroup(this, 'AuditLogs'),
    };
    const { account, region } = env;
    const domainArn = `arn:aws:es:${region}:${account}:domain/${domainName}`;
    // A native resource policy instead of the L2's custom-resource Lambda; scoped to this domain.
    const logsPolicy = new logs.CfnResourcePolicy(this, 'LogsResourcePolicy', {
      policyName: `opensearch-${domainName}`,
      policyDocument: Stack.of(this).toJsonString(new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:PutLogEvents', 'logs:CreateLogStream'],
          resources: Object.values(logGroups).map((group) => `${group.logGroupArn}`),
          conditions: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': domainArn } },
        })],
      })),
    });

    const engine = env.regionInfo.openSearchEngine;
    if (!engine) {
      throw new PavedRoadError(`${this.node.path}: the region catalogue records no OpenSearch engine version for ${region}; check \`aws opensearch list-versions --region ${region}\` and record one in lib/residency/region-catalogue.ts`);
    }
    const prod = stage.isProd;
    this.domain = new opensearch.Domain(this, 'Resource', {
      domainName,
      version: opensearch.EngineVersion.openSearch(engine.version.replace(/^OpenSearch_/, '')),
      vpc: foundation.vpc,
      vpcSubnets: [foundation.workloadSubnets],
      securityGroups: [this.securityGroup],
      capacity: {
        dataNodeInstanceType: this.sizing.instanceType.name,
        dataNodes: this.sizing.dataNodeCount,
        masterNodes: prod ? 3 : undefined,
        masterNodeInstanceType: prod ? 'm6g.large.search' : undefined,
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: { enabled: stage.availabilityZoneCount > 1, availabilityZoneCount: stage.availabilityZoneCount },
      ebs: { enabled: true, volumeType: ec2.EbsDeviceVolumeType.GP3, volumeSize: this.sizing.volumeSizeGiB },
      encryptionAtRest: { enabled: true, kmsKey: foundation.keyFor(DataClass.CONFIDENTIAL) },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: { masterUserArn: setupFunction.role!.roleArn },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: logGroups.slowSearch,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: logGroups.slowIndex,
        appLogEnabled: true,
        appLogGroup: logGroups.app,
        auditLogEnabled: true,
        auditLogGroup: logGroups.audit,
      },
      suppressLogsResourcePolicy: true,
      enableAutoSoftwareUpdate: true,
      offPeakWindowEnabled: true,
      removalPolicy,
    });
    this.domain.node.addDependency(logsPolicy);
    // OpenSearch publishes its logs as its service principal, naming the domain.
    declareServiceOperations(this.domain, {
      description: 'OpenSearch Service publishes slow, application and audit logs to their log groups',
      docs: ['https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html'],
      caller: ServiceCaller.servicePrincipal('es.amazonaws.com'),
      calls: Object.values(logGroups).flatMap((group) => {
        const stream = `${Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: group.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:log-stream:es-${domainName}`;
        const context = { 'aws:SourceArn': domainArn, 'aws:SourceAccount': account };
        return [{ action: 'logs:CreateLogStream', resource: stream, context }, { action: 'logs:PutLogEvents', resource: stream, context }];
      }),
    });

    // What each function may send to the domain: the HTTP methods and paths its operation
    // contracts name (lambda/shared/opensearch.ts), granted in its role's policy and in the domain
    // access policy alike, since either one alone admits a same-account role. Fine-grained access
    // control then limits the retrieval and ingestion roles to their OpenSearch roles; the setup
    // role is the master user, so these paths are all that bound it.
    const removesIndex = removalPolicy === RemovalPolicy.DESTROY;
    const index = `/${this.indexName}`;
    const pipelinePath = `/_search/pipeline/${PIPELINE_NAME}`;
    const securityApi = (kind: string) => Object.values(SECURITY_ROLES).map((role) => `/_plugins/_security/api/${kind}/${role}`);
    const domainHttp: Array<[PavedRoadFunction, Record<string, string[]>]> = [
      [setupFunction, {
        Put: [...securityApi('roles'), ...securityApi('rolesmapping'), '/_plugins/_security/api/audit/config', index, `${index}/_mapping`, `${index}/_settings`, pipelinePath],
        Head: [index],
        ...(removesIndex ? { Delete: [index, pipelinePath] } : {}),
      }],
      [this.retrievalFunction, { Post: [`${index}/_search`] }],
      [this.ingestionFunction, { Post: [`${index}/_bulk`, `${index}/_delete_by_query`] }],
    ];
    const accessStatements: unknown[] = [];
    for (const [fn, methods] of domainHttp) {
      for (const [method, paths] of Object.entries(methods)) {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: [`es:ESHttp${method}`], resources: paths.map((path) => `${this.domain.domainArn}${path}`) }));
        accessStatements.push({ Effect: 'Allow', Principal: { AWS: fn.role!.roleArn }, Action: `es:ESHttp${method}`, Resource: paths.map((path) => `${domainArn}${path}`) });
      }
    }
    // The domain cannot name its own ARN attribute in its access policy, so the ARN is built from its name.
    (this.domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = { Version: '2012-10-17', Statement: accessStatements };

    const embeddingModelArn = `arn:aws:bedrock:${region}::foundation-model/${EMBEDDING_MODEL_ID}`;
    for (const fn of [this.retrievalFunction, this.ingestionFunction]) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [embeddingModelArn] }));
    }
    this.ingestionFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [curatedBucket.arnForObjects('*')] }));
    // Without s3:ListBucket, S3 answers a GetObject of a deleted key with 403 AccessDenied instead
    // of 404 NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and
    // the message would be retried into the dead-letter queue. Listing is limited to tenant keys.
    this.ingestionFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [curatedBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [...TENANT_KEY_PREFIXES] } },
    }));
    if (curatedBucket.encryptionKey) {
      // S3 decrypts SSE-KMS objects with the caller's credentials, in the encryption context of the
      // bucket ARN (Bucket Keys) or of the object ARN: https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html
      this.ingestionFunction.addToRolePolicy(new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [curatedBucket.encryptionKey.keyArn],
        conditions: {
          'StringEquals': { 'kms:ViaService': `s3.${region}.amazonaws.com` },
          'StringLike': { 'kms:EncryptionContext:aws:s3:arn': [curatedBucket.bucketArn, curatedBucket.arnForObjects('*')] },
        },
      }));
    }

    // DOMAIN_ARN is read by the operation contracts, not by the handlers.
    const domain = { DOMAIN_ENDPOINT: `https://${this.domain.domainEndpoint}`, DOMAIN_ARN: this.domain.domainArn, INDEX_NAME: this.indexName };
    const embedding = { EMBEDDING_MODEL_ID, EMBEDDING_DIMENSIONS: String(dimensions) };
    const environments: Array<[PavedRoadFunction, Record<string, string>]> = [
      // Only a dev environment that may destroy data removes the index with the stack.
      [setupFunction, { ...domain, PIPELINE_NAME, RETAIN_ON_DELETE: String(!removesIndex) }],
      [this.retrievalFunction, { ...domain, PIPELINE_NAME, ...embedding }],
      [this.ingestionFunction, {
        ...domain, CURATED_BUCKET: curatedBucket.bucketName, DATA_CLASS: dataClass.id, CHUNK_SIZE: String(chunkSize), CHUNK_OVERLAP: String(chunkOverlap), ...embedding,
      }],
    ];
    for (const [fn, variables] of environments) {
      for (const [key, value] of Object.entries(variables)) fn.addEnvironment(key, value);
    }

    const fusion = props.fusion ?? HybridFusion.normalization();
    const pipeline = pipelineBody({ fusion: fusion.technique, weights: [fusion.lexicalWeight, 1 - fusion.lexicalWeight], rankConstant: fusion.rankConstant });
    const setup = new CustomResource(this, 'IndexAndPipeline', {
      serviceToken: setupFunction.functionArn,
      resourceType: 'Custom::PavedRoadSearchSetup',
      properties: {
        IndexName: this.indexName,
        PipelineName: PIPELINE_NAME,
        PipelineVersion: pipelineVersion(pipeline),
        Dimensions: String(dimensions),
        Engine: this.sizing.engine.name,
        HnswM: String(hnswM),
        EfConstruction: String(props.efConstruction ?? 128),
        Shards: String(props.shards ?? Math.max(1, Math.floor(this.sizing.dataNodeCount / (1 + replicas)))),
        Replicas: String(replicas),
        Fusion: fusion.technique,
        LexicalWeight: String(fusion.lexicalWeight),
        RankConstant: String(fusion.rankConstant),
        IndexPattern: `${this.indexName}*`,
        RetrievalRoleArn: this.retrievalFunction.role!.roleArn,
        IngestionRoleArn: this.ingestionFunction.role!.roleArn,
      },
    });
    setup.node.addDependency(this.domain, setupFunction);
    declareServiceOperations(setup, {
      description: 'CloudFormation invokes the search setup function for the custom resource',
      docs: ['https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html'],
      caller: ServiceCaller.deployer(),
      calls: [{ action: 'lambda:InvokeFunction', resource: setupFunction.functionArn }],
    });
    // The functions (not their roles, which the setup maps into OpenSearch) start after the index exists.
    for (const fn of [this.retrievalFunction, this.ingestionFunction]) {
      fn.node.defaultChild!.node.addDependency(setup);
    }

    const queueKey = foundation.keyFor(DataClass.CONFIDENTIAL);
    // Fixed names, so that the key policy can name each queue's ARN (see EncryptedQueueTarget).
    const queueName = (id: string) => Names.uniqueResourceName(this, { maxLength: 80 - id.length - 1, separator: '-' }) + `-${id}`;
    const deadLettersName = queueName('IngestionDeadLetters');
    const ingestionName = queueName('IngestionQueue');
    const queueArn = (name: string) => Stack.of(this).formatArn({ service: 'sqs', resource: name, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.ingestionDeadLetters = new sqs.Queue(this, 'IngestionDeadLetters', {
      queueName: deadLettersName,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.ingestionQueue = new sqs.Queue(this, 'IngestionQueue', {
      queueName: ingestionName,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
      enforceSSL: true,
      // Six times the function timeout, as Lambda's SQS event source recommends.
      visibilityTimeout: Duration.minutes(30),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.ingestionDeadLetters, maxReceiveCount: 5 },
    });
    const rule = new events.Rule(this, 'CuratedObjectEvents', {
      description: 'Curated-zone object created/deleted -> retrieval ingestion',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created', 'Object Deleted'],
        detail: { bucket: { name: [curatedBucket.bucketName] } },
      },
      targets: [new EncryptedQueueTarget({ queue: this.ingestionQueue, literalArn: queueArn(ingestionName) }, {
        key: queueKey,
        deadLetterQueue: { queue: this.ingestionDeadLetters, literalArn: queueArn(deadLettersName) },
        retryAttempts: 10,
        maxEventAge: Duration.hours(24),
      })],
    });
    // EventBridge sends to the target and to the rule's dead-letter queue as its service
    // principal, naming the rule; SQS asks KMS for the data key on its behalf.
    const sendAsEventBridge = (queue: sqs.IQueue) => ({
      action: 'sqs:SendMessage',
      resource: queue.queueArn,
      context: { 'aws:SourceArn': rule.ruleArn, 'aws:SourceAccount': account },
      kms: { actions: ['kms:GenerateDataKey' as const, 'kms:Decrypt' as const], viaService: 'sqs', encryptionContext: { 'aws:sqs:arn': queue.queueArn } },
    });
    declareServiceOperations(rule, {
      description: 'EventBridge delivers curated-object events to the ingestion queue, or to the rule\'s dead-letter queue',
      docs: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions', 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html', 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html'],
      caller: ServiceCaller.servicePrincipal('events.amazonaws.com'),
      calls: [sendAsEventBridge(this.ingestionQueue), sendAsEventBridge(this.ingestionDeadLetters)],
    });
    this.ingestionFunction.addSqsEventSource(this.ingestionQueue, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: 5 });

    this.acknowledge(curatedBucket);
  }

  /** Lets `grantee` invoke the retrieval function (e.g. the API integration or the gateway). */
  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    return this.retrievalFunction.grantInvoke(grantee);
  }

  private acknowledge(curatedBucket: s3.IBucket): void {
    const dlqReason = 'This queue is the dead-letter queue of the ingestion queue; a DLQ of a DLQ would only move the same object events again. They stay 14 days for replay.';
    acknowledgeFinding(this.ingestionDeadLetters,
      { id: 'AwsSolutions-SQS3', reason: dlqReason },
      { id: 'Serverless-SQSRedrivePolicy', reason: dlqReason },
      { id: 'cdk-validator-cfnguard::sqs_dlq_check', reason: dlqReason },
    );
    acknowledgeFinding(this.ingestionFunction, {
      id: wildcardResourceFindingId(this, curatedBucket.arnForObjects('*')),
      reason: 'Ingestion reads any curated object its events name: keys are partitioned by tenant=<id>, which the function records on every chunk; GetObject is the only object action granted on the curated bucket (ListBucket only for keys with a tenant segment, so that a deleted key reads as NoSuchKey).',
    });
    const cfnDomain = this.domain.node.defaultChild as opensearch.CfnDomain;
    acknowledgeFinding(cfnDomain, {
      id: 'AwsSolutions-OS3',
      reason: 'VPC-only domain: OpenSearch Service does not accept IP-based policies for VPC domains; its security group admits HTTPS only from the three function security groups, and the resource policy names their roles.',
    });
    if (!this.foundation.environment.stage.isProd) {
      acknowledgeFinding(cfnDomain, {
        id: 'AwsSolutions-OS4',
        reason: `Stage ${this.foundation.environment.stage} trades dedicated cluster-manager nodes for cost; its data nodes elect a manager among themselves, hourly automated snapshots restore the index, and prod always runs three dedicated masters.`,
      });
      if (this.sizing.dataNodeCount < 3) {
        acknowledgeFinding(cfnDomain, {
          id: 'cdk-validator-cfnguard::opensearch_data_node_fault_tolerance_check',
          reason: `Stage ${this.foundation.environment.stage} spans two availability zones by platform design; zone awareness keeps each primary and its replica in different zones, and prod runs at least three data nodes across three zones.`,
        });
      }
    }
  }
}
