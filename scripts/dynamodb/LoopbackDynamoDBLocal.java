import java.lang.reflect.Field;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBRequestHandler;
import software.amazon.dynamodb.services.local.server.LocalDynamoDBServerHandler;

/**
 * DynamoDB Local bound to 127.0.0.1 only (its own ServerRunner has no bind-address option and listens on every
 * interface). Usage: java LoopbackDynamoDBLocal <port> [<dbPath>]   (no dbPath: in memory). One shared database
 * for every credential and region, as with -sharedDb.
 */
public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    boolean inMemory = args.length < 2;
    String dbPath = inMemory ? null : args[1];
    LocalDynamoDBRequestHandler requests = new LocalDynamoDBRequestHandler(0, inMemory, dbPath, true, false);
    DynamoDBProxyServer proxy = new DynamoDBProxyServer(port, new LocalDynamoDBServerHandler(requests, null));
    Field f = DynamoDBProxyServer.class.getDeclaredField("server");
    f.setAccessible(true);
    Server jetty = (Server) f.get(proxy);
    for (var c : jetty.getConnectors()) ((ServerConnector) c).setHost("127.0.0.1");
    proxy.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1:" + port + (inMemory ? " (in memory)" : " (" + dbPath + ")"));
    proxy.join();
  }
}
