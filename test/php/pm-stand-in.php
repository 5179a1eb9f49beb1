<?php
/**
 * TEST STAND-IN for the Plesk pm_ API (Plesk cannot be installed here).
 *
 * Only the calls the extension's library makes, with the signatures of plesk/pm-api-stubs;
 * the state comes from a JSON "world" so each test sets up the user and the domains it needs.
 * Not shipped: pack.mjs only packs plesk-ext/.
 */
class pm_Exception extends Exception
{
}

class pm_StandIn_World
{
    /** @var array{client: array, domains: array<int,string>, varDir: string} */
    public static $world;
}

class pm_Client
{
    private $data;

    public function __construct(array $data)
    {
        $this->data = $data;
    }

    public function isAdmin() { return $this->data['type'] === 'admin'; }
    public function isReseller() { return $this->data['type'] === 'reseller'; }
    public function isClient() { return $this->data['type'] === 'client'; }
    public function getId() { return (int)$this->data['id']; }
    public function getLogin() { return $this->data['login']; }

    public function hasAccessToDomain($domainId)
    {
        return $this->isAdmin() || in_array((int)$domainId, $this->data['domainIds'], true);
    }
}

class pm_Domain
{
    private $id;

    public function __construct($domainId)
    {
        if (!isset(pm_StandIn_World::$world['domains'][(int)$domainId])) {
            throw new pm_Exception("Domain with id $domainId does not exist");
        }
        $this->id = (int)$domainId;
    }

    public static function getByDomainId($domainId) { return new self($domainId); }

    public static function getAllDomains($mainDomainsOnly = false)
    {
        return array_map(function ($id) { return new self($id); }, array_keys(pm_StandIn_World::$world['domains']));
    }

    public function getId() { return $this->id; }
    public function getName() { return pm_StandIn_World::$world['domains'][$this->id]; }
}

class pm_Session
{
    public static function getClient() { return new pm_Client(pm_StandIn_World::$world['client']); }
}

class pm_Context
{
    public static function getVarDir() { return pm_StandIn_World::$world['varDir']; }
}
